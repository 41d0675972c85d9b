package bench

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// memSample is what the process holds in memory at one moment.
type memSample struct {
	rss  uint64 // resident set size, from /proc/self/status; 0 where there is none
	heap uint64 // the Go heap in use after a collection
}

// sampleMemory collects the garbage and samples the process's memory.
func sampleMemory() memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{rss: procStatus("VmRSS:"), heap: ms.HeapAlloc}
}

// reportMemory writes what the process holds with holds active, against
// before (the event set up, nothing held): in all and per active hold.
func reportMemory(w io.Writer, before, after memSample, holds int) {
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	per := func(a, b uint64) float64 {
		if holds == 0 || a < b {
			return 0
		}
		return float64(a-b) / float64(holds)
	}
	fmt.Fprintf(w, "engine memory with %d holds active: RSS %.0f MiB (%.0f MiB before the sale; %.0f B a hold in all, %.0f B a hold more than before), heap after GC %.0f MiB (%.0f B a hold more than before)",
		holds, mib(after.rss), mib(before.rss), per(after.rss, 0), per(after.rss, before.rss),
		mib(after.heap), per(after.heap, before.heap))
	// What the process keeps once the runtime gives back what it holds
	// free: the rest of RSS is the collector's headroom, not kept data.
	debug.FreeOSMemory()
	kept := procStatus("VmRSS:")
	fmt.Fprintf(w, "; RSS %.0f MiB (%.0f B a hold in all) once free memory is returned to the system\n", mib(kept), per(kept, 0))
}
