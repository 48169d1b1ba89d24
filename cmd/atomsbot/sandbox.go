package main

import (
	"context"
	"fmt"
	"io"
)

// runSandbox is being built (issue 7).
func runSandbox(ctx context.Context, addr string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "atomsbot: the sandbox is not available yet")
	return 1
}
