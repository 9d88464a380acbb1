package server

// AfterAdmit makes every connect and token refresh call fn once the guard
// has admitted its token, before the hub binds the connection: tests use
// it to act in that gap. nil removes it.
func (s *Server) AfterAdmit(fn func(user, session string)) {
	if fn == nil {
		s.authn.afterAdmit.Store(nil)
		return
	}
	s.authn.afterAdmit.Store(&fn)
}
