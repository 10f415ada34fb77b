// The core's stream client as both n8n nodes use it: n8n sends, sleeps and tells the time.
import { sleep } from 'n8n-workflow';

import { StreamClient, createStreamClient } from '../../core';
import { ApiContext, ApiSession, n8nTransport } from './transport';

export function streamClient(context: ApiContext, session: ApiSession): StreamClient {
	return createStreamClient({
		baseUrl: session.baseUrl,
		secrets: session.secrets,
		transport: n8nTransport(context),
		sleep,
		now: () => Date.now(),
	});
}
