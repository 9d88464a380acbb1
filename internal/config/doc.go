// Package config is the configuration of the liveroom binary: its keys,
// their defaults, where each value may come from and the rules a value must
// follow.
//
// A value comes from, highest precedence first: a command-line flag, an
// environment variable (LIVEROOM_<FLAG>, dashes as underscores), the TOML
// config file named by --config or LIVEROOM_CONFIG, and the defaults of
// Default. Only the keys that have a flag can be set by flag or
// environment; every key can be set in the file.
//
// Load does all of it and validates the result. It takes the arguments and
// an environment lookup function, so that tests need neither os.Args nor
// os.Getenv. Errors name the key (and, for the file, its line), the value
// and what is allowed; Validate reports every problem, not only the first.
//
// Adding a key is adding a field with a `toml` tag and a doc comment to a
// struct in config.go (plus its default in Default and its rules in
// Validate); adding a flag is adding a line to flagDefs. The reference
// docs/configuration.md is generated from those doc comments and the flag
// table, and a test fails when it is out of date; re-record it with
//
//	go test ./internal/config -run TestConfigDoc -update
package config

//go:generate go test -run TestConfigDoc -update .
