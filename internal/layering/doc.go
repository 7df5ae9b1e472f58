// Package layering holds only a test: it enforces the package layers of
// docs/architecture.md §Layers. Imports point down (a package never imports
// one on its own level or above), only cmd/ imports a concrete storage
// backend, storetest depends on the store API alone, and every internal
// package must be placed in the table of layering_test.go.
package layering
