//go:build !race

package faultinject_test

// matrixConcurrency bounds the fault matrix's rows in flight: enough to overlap their waits on
// backoff and timeouts, few enough that fault-free requests stay far from the attempt timeout.
const matrixConcurrency = 32
