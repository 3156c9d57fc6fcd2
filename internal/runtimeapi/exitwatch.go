package runtimeapi

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitWatch sees a process exit through a pidfd registered with the Go runtime's network poller, so that
// waiting for a function process costs a parked goroutine, not an OS thread. os/exec's Wait blocks a thread
// in waitid for as long as the process lives, and Go keeps every thread it ever created: a gateway that had
// run 400 processes at once held 400 threads long after they had stopped.
type exitWatch struct {
	pidfd int      // filled by fork (SysProcAttr.PidFD); -1 when the kernel gives none
	file  *os.File // pidfd on the poller, once the process started
}

// newExitWatch asks fork for a pidfd of the process attr starts.
func newExitWatch(attr *syscall.SysProcAttr) *exitWatch {
	w := &exitWatch{pidfd: -1}
	attr.PidFD = &w.pidfd
	return w
}

// started puts the pidfd on the poller. Without one, wait falls back to a blocking waitid.
func (w *exitWatch) started() {
	if w.pidfd < 0 {
		return
	}
	if err := syscall.SetNonblock(w.pidfd, true); err != nil {
		syscall.Close(w.pidfd)
	} else {
		w.file = os.NewFile(uintptr(w.pidfd), "pidfd")
	}
	w.pidfd = -1
}

// wait returns once process pid has exited, without reaping it.
func (w *exitWatch) wait(pid int) {
	if w.file != nil {
		if rc, err := w.file.SyscallConn(); err == nil {
			if err := rc.Read(pidfdExited); err == nil {
				return
			}
		}
	}
	var info unix.Siginfo
	for {
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// pidfdExited reports whether the process behind pidfd has exited (it is then waitable), leaving it
// unreaped. An error other than "not yet" also ends the wait: there is nothing left to wait for.
func pidfdExited(pidfd uintptr) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(pidfd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return false
		case err != nil:
			return true
		}
		return info.Signo != 0
	}
}

// close releases the pidfd.
func (w *exitWatch) close() {
	if w.file != nil {
		w.file.Close()
	}
	if w.pidfd >= 0 {
		syscall.Close(w.pidfd)
		w.pidfd = -1
	}
}
