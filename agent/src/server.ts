// Agent entry: listen, timeouts, graceful shutdown. (Foundation stub.)
process.stderr.write("atl-agent: not built yet\n");
process.exitCode = 1;
