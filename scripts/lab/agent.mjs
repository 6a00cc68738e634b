// The lab's TCP service and client, run inside the lab's network namespaces (ip netns exec).
// No dependencies beyond Node.
//
//   node agent.mjs serve --name Web01 --port 80
//       Listens on 0.0.0.0:PORT (the NIC's IP and, with floating IP, the VIP on lo) and answers
//       each connection with one line: "<name> <local address> <remote address:port>". Prints
//       "listening" once ready.
//   node agent.mjs connect --to 10.2.1.100 --port 80 --k 40 --timeout 1000 --concurrency 20
//       Opens k TCP connections (each from a fresh ephemeral source port chosen by the kernel,
//       source address chosen by routing), waits at most --timeout ms for the answer line, and
//       prints one JSON object: { attempts, successes, results: [{ ok, member, local, error, ms }] }.
//       --from ADDR binds the source address (otherwise routing chooses it); --http sends an
//       HTTP/1.0 request and reads the line from the answer's body (for NGINX's http proxy).

import net from 'node:net';

function option(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined) throw new Error(`--${name} needs a value`);
  return v;
}

function serve(args) {
  const name = option(args, 'name');
  const port = Number(option(args, 'port', '80'));
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    const line = `${name} ${socket.localAddress} ${socket.remoteAddress}:${socket.remotePort}\n`;
    // An HTTP request (a client, or NGINX's http proxy) gets an HTTP answer with the line as its
    // body; a connection that sends nothing gets the bare line.
    let answered = false;
    const raw = setTimeout(() => {
      answered = true;
      socket.end(line);
    }, 50);
    socket.once('data', (chunk) => {
      if (answered) return;
      answered = true;
      clearTimeout(raw);
      if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r?\n/.test(chunk.toString('latin1'))) socket.end(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(line)}\r\n\r\n${line}`);
      else socket.end(line);
    });
  });
  server.listen({ host: '0.0.0.0', port }, () => console.log('listening'));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function connectOnce(host, port, timeoutMs, localAddress, http) {
  return new Promise((resolve) => {
    const started = Date.now();
    let data = '';
    let local = '';
    let done = false;
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const finish = (ok, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const member = ok ? body().split(' ')[0] : undefined;
      resolve({ ok, member, answer: ok ? body().trim() : undefined, local, error, ms: Date.now() - started });
    };
    // The answer line, bare or as the body of an HTTP 200 answer.
    const body = () => (data.startsWith('HTTP/') ? (/^HTTP\/1\.[01] 200 /.test(data) ? data.slice(data.indexOf('\r\n\r\n') + 4) : '') : data);
    const complete = () => body().includes('\n');
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
    socket.on('connect', () => {
      local = `${socket.localAddress}:${socket.localPort}`;
      if (http) socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (complete()) finish(true);
    });
    socket.on('error', (e) => finish(false, e.code || e.message));
    socket.on('close', () => finish(complete(), data ? (complete() ? undefined : `unexpected answer: ${data.split('\n')[0]}`) : 'closed without an answer'));
  });
}

async function connect(args) {
  const host = option(args, 'to');
  const port = Number(option(args, 'port', '80'));
  const k = Number(option(args, 'k', '40'));
  const timeoutMs = Number(option(args, 'timeout', '1000'));
  const concurrency = Math.max(1, Number(option(args, 'concurrency', '20')));
  const from = option(args, 'from', undefined);
  const http = args.includes('--http');
  const results = new Array(k);
  let next = 0;
  const worker = async () => {
    while (next < k) {
      const i = next++;
      results[i] = await connectOnce(host, port, timeoutMs, from, http);
    }
  };
  await Promise.all(Array.from({ length: Math.min(k, concurrency) }, worker));
  const successes = results.filter((r) => r.ok).length;
  console.log(JSON.stringify({ to: `${host}:${port}`, attempts: k, successes, results }));
}

const [command, ...args] = process.argv.slice(2);
if (command === 'serve') serve(args);
else if (command === 'connect') await connect(args);
else {
  console.error('usage: agent.mjs serve --name NAME [--port P] | connect --to IP [--port P] [--k N] [--timeout MS] [--concurrency C] [--from ADDR]');
  process.exit(2);
}
