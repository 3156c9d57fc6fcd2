package deployed

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

func TestLockWaitsThenRefusesWithTypedError(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another stage is independent.
	other, err := Lock(context.Background(), dir, "prod", func(string) { t.Error("prod must not wait for dev") })
	if err != nil {
		t.Fatal(err)
	}
	other()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var told string
	_, err = Lock(ctx, dir, "dev", func(holder string) { told = holder })
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, safefile.ErrLocked) {
		t.Fatalf("want *LockedError, got %v", err)
	}
	if !strings.HasPrefix(told, "pid ") || !strings.Contains(err.Error(), `stage "dev" is being deployed or deleted by another cws (pid `) {
		t.Errorf("waiting holder %q, error %q", told, err)
	}

	got := make(chan error)
	waited := make(chan struct{})
	go func() {
		u, err := Lock(context.Background(), dir, "dev", func(string) { close(waited) })
		if err == nil {
			u()
		}
		got <- err
	}()
	<-waited // the second deploy was told it waits
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("second Lock after release: %v", err)
	}
}
