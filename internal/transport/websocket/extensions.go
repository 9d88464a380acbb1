package websocket

import "strings"

// extensionDeflate is the permessage-deflate extension token (RFC 7692 §7).
const extensionDeflate = "permessage-deflate"

// deflateResponse is what the 101 answers when permessage-deflate is
// accepted. Both directions go without context takeover (RFC 7692
// §7.1.1): the server compresses a publication once for all of its
// subscribers, which only works if no message depends on what one
// connection received before; and a connection then keeps no compression
// or decompression state between messages (decision 0011).
const deflateResponse = extensionDeflate + "; server_no_context_takeover; client_no_context_takeover"

// maxExtensionOffers bounds the offers and parameters looked at, so a
// header stuffed with thousands of them costs linear time and no more.
const maxExtensionOffers = 16

// acceptDeflate reports whether one of the client's offers in the
// Sec-WebSocket-Extensions values can be accepted (RFC 7692 §7.1). An offer
// is declined when it has a parameter this extension does not define for
// offers, a parameter twice, or a value out of range (§7.1: the server MUST
// decline such an offer), or when it asks for server_max_window_bits below
// 15: the standard library's compressor always uses a 32 KiB window, which
// a client that asked for a smaller one cannot follow. client_max_window_bits
// only says the client could use a smaller window; not answering it lets the
// client use its default of 15 (§7.1.2.2). Parsing is linear in the size of
// the header, without regular expressions.
func acceptDeflate(values []string) bool {
	offers := 0
	for _, v := range values {
		for v != "" {
			var offer string
			offer, v = cutOffer(v)
			offers++
			if offers > maxExtensionOffers {
				return false
			}
			if deflateOfferOK(offer) {
				return true
			}
		}
	}
	return false
}

// cutOffer splits the first comma-separated offer off v. Commas inside a
// quoted parameter value stay in the offer.
func cutOffer(v string) (offer, rest string) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '\\':
			if quoted {
				i++
			}
		case ',':
			if !quoted {
				return v[:i], v[i+1:]
			}
		}
	}
	return v, ""
}

// deflateOfferOK checks one offer: "permessage-deflate" then parameters
// separated by ';'.
func deflateOfferOK(offer string) bool {
	name, params, _ := strings.Cut(offer, ";")
	if !strings.EqualFold(trimOWS(name), extensionDeflate) {
		return false
	}
	var seen [4]bool // server_no_ctx, client_no_ctx, server_bits, client_bits
	for n := 0; params != ""; n++ {
		if n >= maxExtensionOffers {
			return false
		}
		var p string
		p, params, _ = strings.Cut(params, ";")
		key, val, hasVal := strings.Cut(p, "=")
		key, val = strings.ToLower(trimOWS(key)), unquote(trimOWS(val))
		idx := -1
		switch key {
		case "server_no_context_takeover":
			idx = 0
			if hasVal {
				return false
			}
		case "client_no_context_takeover":
			idx = 1
			if hasVal {
				return false
			}
		case "server_max_window_bits":
			idx = 2
			if !hasVal || !windowBits(val) || val != "15" {
				return false
			}
		case "client_max_window_bits":
			idx = 3
			if hasVal && !windowBits(val) {
				return false
			}
		default:
			return false
		}
		if seen[idx] {
			return false
		}
		seen[idx] = true
	}
	return true
}

// windowBits reports whether v is a window size of 8 to 15 written as a
// decimal integer without leading zeros (RFC 7692 §7.1.2.1).
func windowBits(v string) bool {
	switch v {
	case "8", "9", "10", "11", "12", "13", "14", "15":
		return true
	}
	return false
}

// unquote removes the quotes of a quoted-string value (RFC 7230 §3.2.6;
// RFC 7692 §7.1 allows a quoted value with the same content).
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
