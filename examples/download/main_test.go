package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun checks that every file is reported once, in the order of the list,
// with its size or its error, that the counts add up, and that the
// temporary directory is gone afterwards.
func TestRun(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.MkdirTemp makes the download directory
	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, timeout))
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "the download directory should be removed")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1+len(names)+2, out.String())

	var size int64
	for i, name := range names {
		prefix := fmt.Sprintf("[%d/%d] %-11s ", i+1, len(names), name)
		var want string
		switch name {
		case "missing.zip":
			want = "error: 404 Not Found"
		case "slow.bin":
			want = "error: no answer within 200ms"
		default:
			want = fmt.Sprintf("%6d bytes", len(files[name]))
			size += int64(len(files[name]))
		}
		assert.Equal(t, prefix+want, lines[1+i])
	}
	assert.Equal(t, "tasks: 6 submitted, 4 succeeded, 2 failed", lines[len(lines)-2])
	assert.Equal(t, fmt.Sprintf("saved 4 files, %d bytes, to a temporary directory", size), lines[len(lines)-1])
}

// TestSave checks that a failed download leaves no file behind.
func TestSave(t *testing.T) {
	srv := serve()
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	dir := t.TempDir()

	n, err := save(t.Context(), client, srv.URL+"/files/notes.md", dir)
	require.NoError(t, err)
	assert.Equal(t, int64(len(files["notes.md"])), n)

	_, err = save(t.Context(), client, srv.URL+"/files/missing.zip", dir)
	assert.EqualError(t, err, "404 Not Found")
	count, size, err := du(dir)
	require.NoError(t, err)
	assert.Equal(t, 1, count)
	assert.Equal(t, n, size)
}
