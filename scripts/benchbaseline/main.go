// Command benchbaseline answers every request with one fixed body read from a
// file at start. It is the floor scripts/bench-load.sh measures metalinkd
// against: the same HTTP stack and answer size, with no selection, rendering
// or logging.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	bodyFile := flag.String("body", "", "file whose bytes are the answer to every request")
	contentType := flag.String("content-type", "application/metalink+xml", "Content-Type of the answer")
	flag.Parse()
	if err := run(*listen, *bodyFile, *contentType); err != nil {
		fmt.Fprintln(os.Stderr, "benchbaseline:", err)
		os.Exit(1)
	}
}

func run(listen, bodyFile, contentType string) error {
	if bodyFile == "" {
		return errors.New("-body is required")
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{
		Addr:              listen,
		Handler:           fixedBody(body, contentType),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// fixedBody answers every request with body, as metalinkd answers a metalink.
func fixedBody(body []byte, contentType string) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", length)
		w.Write(body)
	})
}
