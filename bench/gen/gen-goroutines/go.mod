module flamekit/bench/gen-goroutines

go 1.19
