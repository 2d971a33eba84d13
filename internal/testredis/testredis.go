// Package testredis starts a throwaway redis-server for a test: on a free
// loopback port, with its files in a temporary folder, stopped when the
// test ends. Without redis-server on the PATH the test is skipped, unless
// FORENSICS_REQUIRE_REDIS=1 (CI), where it fails.
package testredis

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// RequireEnv makes a missing redis-server a failure instead of a skip.
const RequireEnv = "FORENSICS_REQUIRE_REDIS"

// Server is a running redis-server.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
	port int
}

// URL is the server's redis:// URL for database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Start starts a redis-server for t, stopped at its cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("redis-server not found and %s=1: %v", RequireEnv, err)
		}
		t.Skipf("redis-server not found (apt-get install redis-server; %s=1 makes this a failure)", RequireEnv)
	}
	s := &Server{dir: t.TempDir()}
	for attempt := 0; ; attempt++ {
		err := s.start(bin)
		if err == nil {
			break
		}
		if attempt == 4 {
			t.Fatalf("starting redis-server: %v", err)
		}
	}
	t.Cleanup(s.Stop)
	return s
}

// start runs redis-server on a port that was free a moment ago (another
// process may take it between; Start retries).
func (s *Server) start(bin string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	return s.run(bin)
}

// Restart starts a stopped server again on its port (its data is gone:
// it keeps none on disk).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	bin, err := exec.LookPath("redis-server")
	if err == nil {
		err = s.run(bin)
	}
	if err != nil {
		t.Fatalf("restarting redis-server: %v", err)
	}
}

// run starts redis-server on s.port and waits until it accepts.
func (s *Server) run(bin string) error {
	port := s.port
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return fmt.Errorf("redis-server on %s did not answer within 10 s; its log:\n%s", s.Addr, log)
}

// Stop kills the server (idempotent).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Available reports whether redis-server is on the PATH.
func Available() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}
