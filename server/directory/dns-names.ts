/** The `.internal` names the directory asks Fly's DNS (localfly's DNS server answers the same ones). */

/** TXT: every Machine of the app as `<id> <region>,...`. */
export const vmsTxtName = (appName: string): string => `vms.${appName}.internal`;

/** AAAA: one Machine's private address. */
export const machineAddressName = (machineId: string, appName: string): string => `${machineId}.vm.${appName}.internal`;

/** AAAA: the private addresses of every Machine of the app (who may call the peer API). */
export const appAddressesName = (appName: string): string => `${appName}.internal`;
