// Command pause is the process that holds a pod sandbox's namespaces: PID 1 of
// the sandbox. It does what registry.k8s.io/pause does and nothing more: it
// waits for SIGINT or SIGTERM and reaps the children that PID 1 inherits, so
// that the cluster scripts can make the pause image from source, offline.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
