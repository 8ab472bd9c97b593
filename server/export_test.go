package server

// RefsOf exposes refsOf to the external tests.
var RefsOf = refsOf
