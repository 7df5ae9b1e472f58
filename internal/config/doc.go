// Package config is Petrel's typed configuration: the TOML file described in
// docs/architecture.md §Configuration, its defaults, strict decoding and
// validation.
//
// Every key has a default (see Default), so an empty file is a valid
// configuration. Load decodes a file over the defaults and is strict: unknown
// keys and values of the wrong TOML type are errors naming the key, and
// Validate then reports every invalid value, one error per problem, so an
// operator can fix a file in one pass. testdata/full.toml has every key, and
// docs/configuration.md is the reference; docs_test.go keeps the two and
// Config in step.
//
// Addresses are "host:port" with the host an IP address or a domain name in
// ASCII (A-label) form; IPv6 literals are bracketed as in RFC 3986
// ("[::1]:25"). Sizes use decimal (KB, MB, GB = 1000^n) or binary
// (KiB, MiB, GiB = 1024^n) units; durations use Go's syntax plus "d" for days.
package config
