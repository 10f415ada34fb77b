// Results node: receives memories.ai callbacks and sends each result or episode (output 1), stream
// end or summary (output 2), parse error or stall (output 3) into the flow (see
// results/results-controller.ts).
import type { NodeAPI, ResultsNode } from '../lib/red';
import type { ResultsProperties } from '../results/properties';
import { ResultsController } from '../results/results-controller';

export = function register(RED: NodeAPI): void {
	function MemoriesLiveResults(this: ResultsNode, props: ResultsProperties): void {
		RED.nodes.createNode(this, props);
		const controller = ResultsController.open(RED, this, props);
		if (!controller) return;
		// Only a node that receives hands out callback URLs: a start node refuses to start a
		// (billed) stream whose results would go nowhere.
		this.callbackUrl = (publicUrl) => controller.callbackUrl(publicUrl);
		this.answerFormat = () => controller.answerFormat();
		this.on('close', (_removed, done) => {
			controller.close();
			done();
		});
	}

	RED.nodes.registerType('memories-live-results', MemoriesLiveResults, {
		credentials: { secret: { type: 'password' } },
	});
};
