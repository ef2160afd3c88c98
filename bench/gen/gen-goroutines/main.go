// gen-goroutines writes a deterministic synthetic goroutine dump in the exact text format of
// pprof.Lookup("goroutine").WriteTo(w, 2) (Go 1.19 tracebacks), of about -mb megabytes, to stdout.
//
//	go run . -mb 50 > goroutines.debug2.txt
//
// Goroutines come from a few hundred "call sites" (distinct stacks of 3..60 frames, with inlined
// frames, generic and closure names, recursion), in 12 wait states with optional wait times and
// "locked to thread", each with a "created by" trailer; arguments differ per goroutine as real
// pointer arguments do. The same seed always gives the same bytes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
)

var states = []string{"chan receive", "chan send", "select", "sleep", "IO wait", "semacquire",
	"sync.Cond.Wait", "runnable", "syscall", "select (no cases)", "chan receive (nil chan)", "sync.Mutex.Lock"}

var pkgs = []string{"main", "net/http", "net", "internal/poll", "encoding/json", "github.com/acme/svc/store",
	"github.com/acme/svc/api", "google.golang.org/grpc", "database/sql", "bufio"}

type frame struct {
	fn      string
	file    string
	line    int
	off     int
	inlined bool
	args    int
}

func main() {
	mb := flag.Int("mb", 50, "approximate output size in megabytes")
	seed := flag.Int64("seed", 1, "random seed")
	sites := flag.Int("sites", 400, "number of distinct stacks")
	flag.Parse()
	rng := rand.New(rand.NewSource(*seed))

	funcs := make([]frame, 600)
	for i := range funcs {
		p := pkgs[rng.Intn(len(pkgs))]
		name := fmt.Sprintf("%s.fn%d", p, i)
		switch i % 7 {
		case 1:
			name = fmt.Sprintf("%s.(*Server%d).Handle", p, i)
		case 2:
			name = fmt.Sprintf("%s.Map%d[...]", p, i)
		case 3:
			name = fmt.Sprintf("%s.worker%d.func1.2", p, i)
		}
		funcs[i] = frame{fn: name, file: fmt.Sprintf("/home/dev/src/%s/file%d.go", p, i%40), line: 10 + rng.Intn(900),
			off: 0x10 + rng.Intn(0x400), inlined: i%11 == 5, args: rng.Intn(4)}
	}
	stacks := make([][]frame, *sites)
	for s := range stacks {
		depth := 3 + rng.Intn(58)
		st := make([]frame, 0, depth)
		if rng.Intn(5) == 0 { // recursion
			f := funcs[rng.Intn(len(funcs))]
			f.inlined = false
			for k := 0; k < depth/2; k++ {
				st = append(st, f)
			}
		}
		for len(st) < depth {
			st = append(st, funcs[rng.Intn(len(funcs))])
		}
		st[len(st)-1].inlined = false
		stacks[s] = st
	}
	creators := funcs[:50]

	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	limit := *mb << 20
	written := 0
	for id := 1; written < limit; id++ {
		site := rng.Intn(len(stacks))
		st := stacks[site]
		state := states[site%len(states)]
		if rng.Intn(4) == 0 {
			state = states[rng.Intn(len(states))]
		}
		extra := ""
		if site%3 == 0 {
			extra = fmt.Sprintf(", %d minutes", 1+site%9)
		}
		if site%29 == 0 {
			extra += ", locked to thread"
		}
		n, _ := fmt.Fprintf(w, "goroutine %d [%s%s]:\n", id, state, extra)
		written += n
		for _, f := range st {
			var args string
			switch {
			case f.inlined:
				args = "(...)"
			case f.args == 0:
				args = "()"
			case f.args == 1:
				args = fmt.Sprintf("(0x%x)", 0xc000000000+rng.Int63n(1<<24))
			default:
				args = fmt.Sprintf("({0x%x, 0x%x}, 0x%x?)", 0x55b308+rng.Int63n(1<<12), 0xc000000000+rng.Int63n(1<<24), rng.Int63n(1<<8))
			}
			if f.inlined {
				n, _ = fmt.Fprintf(w, "%s%s\n\t%s:%d\n", f.fn, args, f.file, f.line)
			} else {
				n, _ = fmt.Fprintf(w, "%s%s\n\t%s:%d +0x%x\n", f.fn, args, f.file, f.line, f.off)
			}
			written += n
		}
		c := creators[site%len(creators)]
		n, _ = fmt.Fprintf(w, "created by %s\n\t%s:%d +0x%x\n\n", c.fn, c.file, c.line, c.off)
		written += n
	}
}
