// The trigger's "Emit" settings, read the same way when the workflow is activated (an invalid
// expression or an empty keyword list is refused before any stream starts) and per callback.
import type { IHookFunctions, IWebhookFunctions } from 'n8n-workflow';

import type { FilterMode, GateSettings } from '../../core';
import { readEventSettings } from './event-settings';

export function readGateSettings(context: IHookFunctions | IWebhookFunctions): GateSettings {
	const options = context.getNodeParameter('options', {}) as { caseSensitive?: boolean; ignoreDuplicates?: boolean };
	return {
		filter: {
			mode: context.getNodeParameter('emit', 'all') as FilterMode,
			keywords: context.getNodeParameter('keywords', '') as string,
			pattern: context.getNodeParameter('regex', '') as string,
			caseSensitive: options.caseSensitive === true,
		},
		ignoreDuplicates: options.ignoreDuplicates !== false,
		...readEventSettings(context),
	};
}
