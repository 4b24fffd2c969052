# Helpers the benchmark scripts share; sourced, not run. The script that
# sources it defines die.

# free_port prints a loopback port nobody listens on right now.
free_port() {
	local port
	for port in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free loopback port found"
}
