package org.mnistpipeline.registry;

/**
 * One switch of an alias, kept as an audit trail of what served when.
 *
 * @param alias    e.g. {@code production}
 * @param version  the version the alias points at after the change
 * @param previous the version it pointed at before, or null for the first promotion
 * @param at       ISO-8601 instant of the change
 * @param reason   {@code promote} or {@code rollback}
 */
public record AliasChange(String alias, String version, String previous, String at, String reason) {}
