package runtimeapi

import (
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is the function's process and the process group it leads. Everything the function starts
// (a `sleep`, a helper binary, a shell) joins the group unless it leaves on purpose, so signalling the group
// reaches the whole environment, as freezing or destroying a Lambda sandbox does.
type process struct {
	cmd *exec.Cmd
	// exit watches the process without holding an OS thread while it runs.
	exit *exitWatch

	mu     sync.Mutex
	reaped bool // the leader was reaped: its pid, hence the group id, may belong to someone else now
}

// startProcess starts cmd as the leader of a new process group.
func startProcess(cmd *exec.Cmd) (*process, error) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	w := newExitWatch(attr)
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		w.close()
		return nil, err
	}
	w.started()
	return &process{cmd: cmd, exit: w}, nil
}

// pid returns the process id, which is also the process group id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// wait blocks until the process has exited, kills what is left of its group, then reaps the process. The
// group is killed while the exited leader is a zombie, so its id cannot have been reused by then: a
// function's children never outlive it, however it ended (crash, panic, exit, signal, out of memory).
func (p *process) wait() {
	p.exit.wait(p.pid())
	p.mu.Lock()
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	_ = p.cmd.Wait() // returns at once: the process has exited; ProcessState carries the status
	p.reaped = true
	p.mu.Unlock()
	p.exit.close()
}

// signal sends sig to the whole group, unless the leader was already reaped (the group is gone then).
func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reaped {
		_ = syscall.Kill(-p.pid(), sig)
	}
}

// stop sends SIGTERM to the group, then SIGKILL after grace unless done closes first; a grace of 0 sends
// SIGKILL at once. It does not wait.
func (p *process) stop(grace time.Duration, done <-chan struct{}) {
	if grace <= 0 {
		p.signal(syscall.SIGKILL)
		return
	}
	p.signal(syscall.SIGTERM)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			p.signal(syscall.SIGKILL)
		}
	}()
}
