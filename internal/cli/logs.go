package cli

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/server"
)

// serveLogs are serve's two logs, the server log and the access log, each
// on stderr or in a file that SIGHUP reopens (logrotate renames the file,
// then signals).
type serveLogs struct {
	// serverEnv is env with the server log's stream as Stderr.
	serverEnv Env
	// access gets the request lines, batched; nil when the access log is off.
	access       io.Writer
	accessFormat logging.Format
	buffered     *server.BufferedWriter
	files        []*server.LogFile
}

// openLogs opens --log-file and --access-log-file. --log-format applies to
// both logs; auto means text only where the log is a terminal.
func openLogs(env Env, c ServeConfig) (*serveLogs, error) {
	l := &serveLogs{serverEnv: env}
	if c.LogFile != "" {
		f, err := server.OpenLogFile(c.LogFile)
		if err != nil {
			return nil, fmt.Errorf("--log-file: %w", err)
		}
		l.files = append(l.files, f)
		l.serverEnv.Stderr, l.serverEnv.TTY = f, false
	}
	if !c.AccessLog {
		return l, nil
	}
	dst, tty := env.Stderr, env.TTY
	if c.AccessLogFile != "" {
		f, err := server.OpenLogFile(c.AccessLogFile)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("--access-log-file: %w", err)
		}
		l.files = append(l.files, f)
		dst, tty = f, false
	}
	format, ok := logging.ParseFormat(c.LogFormat, tty)
	if !ok {
		l.close()
		return nil, usageError{fmt.Sprintf("--log-format %q: want auto, json or text", c.LogFormat)}
	}
	// Request lines are batched: one write per batch, not per request.
	l.buffered = server.NewBufferedWriter(dst, 200*time.Millisecond)
	l.access, l.accessFormat = l.buffered, format
	return l, nil
}

// reopen writes out the buffered request lines, then reopens the log
// files at their paths. A file that cannot be reopened stays in use.
func (l *serveLogs) reopen(log *slog.Logger) {
	if l.buffered != nil {
		l.buffered.Flush()
	}
	for _, f := range l.files {
		if err := f.Reopen(); err != nil {
			log.Error("reopening a log file; writing on to the old one", "err", err)
		}
	}
	if len(l.files) > 0 {
		log.Info("log files reopened")
	}
}

// close writes out the buffered lines and closes the files.
func (l *serveLogs) close() {
	if l.buffered != nil {
		l.buffered.Close()
	}
	for _, f := range l.files {
		f.Close()
	}
}
