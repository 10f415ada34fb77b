'use strict';
// Benchmark reference only (never shipped): the cheapest possible route on RED.httpNode — answer
// 200 with no body, nothing else. Its rate is the ceiling of any node under the same settings.
module.exports = function (RED) {
	const seen = new WeakSet();
	function BenchCeiling(config) {
		RED.nodes.createNode(this, config);
		const app = RED.httpNode;
		if (seen.has(app)) return;
		seen.add(app);
		app.post('/bench/ceiling', (req, res) => {
			res.writeHead(200, { 'Content-Length': '0' });
			res.end();
		});
	}
	RED.nodes.registerType('bench-ceiling', BenchCeiling);
};
