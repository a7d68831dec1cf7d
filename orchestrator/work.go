package orchestrator

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The workloads the parallel-efficiency figures are measured on: real CPU
// work and real blocking I/O, never a sleep standing in for work (a sleep
// "parallelizes" perfectly on any number of cores and proves nothing).

// BurnCPU hashes a 64 KiB buffer units times with SHA-256 (about 0.1 ms of
// one core per unit here) and returns the digest, so the work cannot be
// optimized away. It stops early, with ctx's error, when ctx ends.
func BurnCPU(ctx context.Context, units int) ([32]byte, error) {
	buf := make([]byte, 64<<10)
	var sum [32]byte
	for i := range units {
		if i%64 == 0 && ctx.Err() != nil {
			return sum, ctx.Err()
		}
		copy(buf, sum[:])
		sum = sha256.Sum256(buf)
	}
	return sum, nil
}

// EchoLoopback starts a TCP echo server on 127.0.0.1, registers the
// listener, both connections and the server goroutine with env (so they
// are released when the step ends), and makes round trips request/answer
// exchanges of a 64-byte line over it: blocking I/O on real sockets,
// bounded by the CPU of both ends. It returns ctx's error if ctx ends
// first.
func EchoLoopback(ctx context.Context, env *StepEnv, roundTrips int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	env.Defer(func() error { wg.Wait(); return nil }) // runs last: after the closes below
	env.Acquire(ln)
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		env.Acquire(c)
		io.Copy(c, c) // echo until the client's side closes
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	env.Acquire(c)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	line := make([]byte, 64)
	for i := range line[:63] {
		line[i] = 'a' + byte(i%26)
	}
	line[63] = '\n'
	r := bufio.NewReader(c)
	for i := range roundTrips {
		if _, err := c.Write(line); err != nil {
			return errors.Join(fmt.Errorf("round trip %d: %w", i, err), ctx.Err())
		}
		got, err := r.ReadSlice('\n')
		if err != nil {
			return errors.Join(fmt.Errorf("round trip %d: %w", i, err), ctx.Err())
		}
		if len(got) != len(line) {
			return fmt.Errorf("round trip %d: %d bytes back, sent %d", i, len(got), len(line))
		}
	}
	return nil
}
