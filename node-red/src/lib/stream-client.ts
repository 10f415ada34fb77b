// The core's stream client for one account (config node): its key and Base URL, checked by the
// core at each use, and its connection pool.
import { InputError, StreamClient, createStreamClient, validateApiKey, validateBaseUrl } from '../../../core';
import type { ConfigNode, NodeAPI } from './red';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * @param onSend called as each request goes out (e.g. to show "starting")
 * @throws InputError when the account has no usable key or Base URL (nothing is sent)
 */
export function streamClientOf(RED: NodeAPI, config: ConfigNode, onSend?: () => void): StreamClient {
	const apiKey = config.credentials?.apiKey;
	if (!apiKey) throw new InputError('API Key', RED._('memories-live-config.errors.no-key'));
	const send = config.transport;
	return createStreamClient({
		baseUrl: validateBaseUrl(config.baseUrl),
		apiKey: validateApiKey(apiKey),
		transport: onSend === undefined ? send : (request) => {
						onSend();
						return send(request);
					},
		sleep,
		now: () => Date.now(),
	});
}
