package localcloud

import (
	"context"
	"fmt"
	"io"
)

// SetPort moves the local cloud to port: the state's port, every stage's URL and the records of the
// stages whose URL changed, which progress names ("Stage dev is now at ..."). It reports whether anything
// changed. A project without a local cloud gets a state holding just the port, so that its first deploy
// records URLs on it. Like a deploy, it holds the local cloud's lock.
func (c *Cloud) SetPort(ctx context.Context, port int, progress io.Writer) (changed bool, err error) {
	if port <= 0 || port > 65535 {
		return false, fmt.Errorf("local cloud: port %d is out of range", port)
	}
	if progress == nil {
		progress = io.Discard
	}
	release, err := c.lock(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	st, err := Load(c.project)
	if err != nil {
		return false, err
	}
	if st.Port == port {
		return false, nil
	}
	st.Port = port
	moved := reassignURLs(st)
	if err := c.saveState(st); err != nil {
		return false, err
	}
	return true, c.rewriteURLs(st, moved, progress)
}
