'use strict';
// The limit of one Node process: node:http, read the body, JSON.parse it, answer 200 with no body.
// Run as a child process; prints {"port":N} on stdout once listening.
const http = require('node:http');

let received = 0;
const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		try {
			JSON.parse(Buffer.concat(chunks).toString('utf8'));
			received++;
			res.writeHead(200, { 'Content-Length': '0' });
		} catch {
			res.writeHead(400, { 'Content-Length': '0' });
		}
		res.end();
	});
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
	process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('message', (m) => {
	if (m === 'count') process.send({ received });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
