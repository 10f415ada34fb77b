// Config node: the memories.ai account (API key, kept as a Node-RED credential), the API's
// Base URL, and the public URL at which memories.ai reaches this Node-RED for callbacks.
import { validateBaseUrl, validateDailyBudget } from '../../../core';
import { DailyBudget } from '../account/daily-budget';
import type { AccountProperties } from '../account/properties';
import { toError } from '../lib/errors';
import type { ConfigNode, NodeAPI } from '../lib/red';
import { createUndiciTransport } from '../lib/undici-transport';

/** The Base URL as the core reads it (its default when empty); one it refuses is kept as typed, for every call to report. */
function baseUrlOf(value: unknown): string {
	try {
		return validateBaseUrl(value);
	} catch {
		return typeof value === 'string' ? value.trim() : '';
	}
}

export = function register(RED: NodeAPI): void {
	function MemoriesLiveConfig(this: ConfigNode, props: AccountProperties): void {
		RED.nodes.createNode(this, props);
		this.baseUrl = baseUrlOf(props.baseUrl);
		this.publicUrl = typeof props.publicUrl === 'string' ? props.publicUrl.trim() : '';
		const transport = createUndiciTransport();
		this.transport = transport.send;
		this.secrets = () => (this.credentials?.apiKey ? [this.credentials.apiKey] : []);
		let budget: DailyBudget | undefined;
		try {
			const minutes = validateDailyBudget(props.dailyBudget);
			if (minutes > 0) budget = new DailyBudget(RED, this, minutes);
		} catch (error) {
			// The editor refuses it too. Starts are refused until it is fixed: a budget was meant.
			this.budgetProblem = toError(error).message;
			this.error(this.budgetProblem);
		}
		this.budget = budget && (() => budget.check());
		this.on('close', (_removed, done) => {
			budget?.close();
			transport.close().then(done, done);
		});
	}

	RED.nodes.registerType('memories-live-config', MemoriesLiveConfig, {
		credentials: { apiKey: { type: 'password' } },
	});
};
