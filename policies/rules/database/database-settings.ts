import type { Props } from "../../core/inputs.ts";

// The same settings mean the same on an Aurora cluster/instance and on an RDS DB instance.
export const storageEncrypted = (props: Props) => props.storageEncrypted === true ? [] : ["storageEncrypted is not true"];
export const notPublic = (props: Props) => props.publiclyAccessible === true ? ["publiclyAccessible is true"] : [];
export const deletionProtected = (props: Props) => props.deletionProtection === true ? [] : ["deletionProtection is not true"];
