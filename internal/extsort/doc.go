// Package extsort sorts more records than a bounded memory holds (an
// external merge sort): records are gathered up to a budget, sorted and
// written to an unlinked temporary file (a run), and the runs are merged.
// `petrel import` orders the files of a Maildir folder with it, so that a
// folder of millions of messages costs the same memory as a small one
// (README "Migrating to Petrel"). It implements no RFC.
package extsort
