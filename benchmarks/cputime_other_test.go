//go:build !unix

package benchmarks

// cpuTime returns -1: the CPU time of the process is not known here.
func cpuTime() int64 { return -1 }
