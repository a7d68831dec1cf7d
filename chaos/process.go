package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a server process the framework started, as process faults
// need it: its id, and a way to start it again (on the same address)
// after it was killed. mcptest.Server satisfies it; so does anything
// that owns a child process. A PID of 0 means there is no process (an
// in-process or stdio server) and every process fault refuses it.
type Process interface {
	PID() int
	Restart(ctx context.Context) error
}

// Process fault kinds.
const (
	KindCrash  = "crash"
	KindFreeze = "freeze"
)

// ownChild checks that pid is a live child of this process — the only
// processes a fault may signal — by its parent id in /proc.
func ownChild(pid int) error {
	if pid <= 1 || pid == os.Getpid() {
		return fmt.Errorf("chaos: pid %d is not a server this run started", pid)
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return fmt.Errorf("chaos: pid %d: cannot confirm it is our child: %w", pid, err)
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if i < 0 || len(f) < 2 {
		return fmt.Errorf("chaos: pid %d: unreadable /proc stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return fmt.Errorf("chaos: pid %d has exited", pid)
	}
	if ppid, _ := strconv.Atoi(f[1]); ppid != os.Getpid() {
		return fmt.Errorf("chaos: pid %d is not a child of this process (its parent is %d): process faults act only on servers the framework started", pid, ppid)
	}
	return nil
}

func signal(pid int, sig syscall.Signal) error {
	if err := ownChild(pid); err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("chaos: %v to pid %d: %w", sig, pid, err)
	}
	return nil
}

// Crash kills a server with SIGKILL (no clean-up, no goodbye to its
// clients) and, on Heal, restarts it: the delay between is the
// schedule's For, or the caller's.
type Crash struct {
	Process Process
}

var _ Fault = Crash{}

// Inject sends SIGKILL to the process (after checking it is our child).
func (f Crash) Inject(context.Context, *rand.Rand) (Injection, error) {
	if f.Process == nil {
		return Injection{}, errors.New("chaos: crash without a process")
	}
	pid := f.Process.PID()
	if err := signal(pid, syscall.SIGKILL); err != nil {
		return Injection{}, err
	}
	// Return once it is dead (a zombie until its parent reaps it, or gone).
	waitThreads(pid, func(state byte) bool { return state == 'Z' || state == 'X' })
	return Injection{Kind: KindCrash, Detail: fmt.Sprintf("SIGKILL to server pid %d, restarted at the heal", pid),
		Heal: f.Process.Restart}, nil
}

// Freeze stops a server with SIGSTOP — it holds its connections and
// answers nothing, the hang a crash detector must tell from slowness —
// and Heal resumes it with SIGCONT.
type Freeze struct {
	Process Process
}

var _ Fault = Freeze{}

// Inject sends SIGSTOP; the Injection's Heal sends SIGCONT to the same
// pid.
func (f Freeze) Inject(context.Context, *rand.Rand) (Injection, error) {
	if f.Process == nil {
		return Injection{}, errors.New("chaos: freeze without a process")
	}
	pid := f.Process.PID()
	if err := signal(pid, syscall.SIGSTOP); err != nil {
		return Injection{}, err
	}
	// The signal is delivered asynchronously: return once every thread
	// has stopped, so the fault is in force when Inject returns.
	if !waitThreads(pid, func(state byte) bool { return state == 'T' || state == 't' }) {
		_ = syscall.Kill(pid, syscall.SIGCONT)
		return Injection{}, fmt.Errorf("chaos: pid %d did not stop within %v of SIGSTOP", pid, settleTimeout)
	}
	return Injection{Kind: KindFreeze, Detail: fmt.Sprintf("SIGSTOP to server pid %d, SIGCONT at the heal", pid),
		Heal: func(context.Context) error { return signal(pid, syscall.SIGCONT) }}, nil
}

// Apply injects f (with rnd, which may be nil for faults that draw
// nothing), waits d (or until ctx ends), heals it, and returns the event
// with its start and end: one fault by hand, outside a Schedule.
func Apply(ctx context.Context, f Fault, rnd *rand.Rand, d time.Duration) (FaultEvent, error) {
	at := time.Now()
	inj, err := f.Inject(ctx, rnd)
	if err != nil {
		return FaultEvent{At: at, Detail: err.Error()}, err
	}
	ev := FaultEvent{Kind: inj.Kind, At: at, Conns: inj.Conns, Detail: inj.Detail}
	wait(ctx, d)
	if inj.Heal != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healTimeout)
		err = inj.Heal(hctx)
		cancel()
	}
	ev.End = time.Now()
	return ev, err
}

// settleTimeout bounds the wait for a signalled process to change state.
const settleTimeout = 2 * time.Second

// waitThreads polls every thread of pid until ok holds for the state of
// each (a process that is gone counts as settled) or settleTimeout
// passes, and says whether it settled.
func waitThreads(pid int, ok func(state byte) bool) bool {
	deadline := time.Now().Add(settleTimeout)
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	for {
		tasks, err := os.ReadDir(dir)
		if err != nil {
			return true // gone
		}
		all := true
		for _, t := range tasks {
			stat, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
			if err != nil {
				continue // the thread exited
			}
			s := string(stat)
			i := strings.LastIndexByte(s, ')')
			if i < 0 || i+2 >= len(s) || !ok(s[i+2]) {
				all = false
				break
			}
		}
		if all {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}
