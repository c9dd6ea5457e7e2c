//go:build race

package faultinject_test

// matrixConcurrency bounds the fault matrix's rows in flight; the race detector makes each costlier.
const matrixConcurrency = 16
