// Start node: starts a stream per input message and answers for it until it is stopped (see
// start/start-controller.ts).
import type { Node, NodeAPI } from '../lib/red';
import type { StartProperties } from '../start/properties';
import { StartController } from '../start/start-controller';

export = function register(RED: NodeAPI): void {
	function MemoriesLiveStart(this: Node, props: StartProperties): void {
		RED.nodes.createNode(this, props);
		const controller = new StartController(RED, this, props);
		this.on('input', (msg, send, done) => controller.handle(msg, send, done));
		this.on('close', (_removed, done) => controller.close(done));
	}

	RED.nodes.registerType('memories-live-start', MemoriesLiveStart);
};
