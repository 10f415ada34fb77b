// Stop node: stops one task, or every stream of its account (see stop/stop-controller.ts).
import type { Node, NodeAPI } from '../lib/red';
import type { StopProperties } from '../stop/properties';
import { StopController } from '../stop/stop-controller';

export = function register(RED: NodeAPI): void {
	function MemoriesLiveStop(this: Node, props: StopProperties): void {
		RED.nodes.createNode(this, props);
		const controller = new StopController(RED, this, props);
		this.on('input', (msg, send, done) => void controller.handle(msg, send, done));
	}

	RED.nodes.registerType('memories-live-stop', MemoriesLiveStop);
};
