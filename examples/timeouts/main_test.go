package main

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the batch in a synctest bubble, where time is fake and
// advances only when every goroutine in the bubble is blocked, so the order
// of events does not depend on how fast the machine is.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var out strings.Builder
		require.NoError(t, run(t.Context(), &out))

		want := `first failure: transcode
resize     finished  ran: done in 20ms
thumbnail  finished  ran: done in 30ms
transcode  finished  failed: took longer than its 100ms deadline
upload     finished  ran, stopped before the end
notify     cancelled cancelled, never ran
archive    cancelled cancelled, never ran
`
		assert.Equal(t, want, out.String())
		// transcode started when resize finished, at 20ms, and its
		// deadline stopped everything 100ms later.
		assert.Equal(t, 120*time.Millisecond, time.Since(start))
	})
}
