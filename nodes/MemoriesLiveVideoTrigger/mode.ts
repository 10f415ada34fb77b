/** Watch: the trigger starts and stops the stream itself. Receive: it only takes callbacks. */
export type TriggerMode = 'watch' | 'receive';
