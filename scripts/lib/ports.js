'use strict';
// Free TCP ports on 127.0.0.1, asked of the OS (never fixed numbers: parallel runs share the machine).
const net = require('node:net');

/** @returns {Promise<number>} */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
			server.close(() => resolve(port));
		});
	});
}

/** @param {number} count @returns {Promise<number[]>} distinct ports */
async function freePorts(count) {
	const ports = new Set();
	while (ports.size < count) ports.add(await freePort());
	return [...ports];
}

module.exports = { freePort, freePorts };
