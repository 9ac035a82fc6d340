package org.mnistpipeline.registry;

import org.mnistpipeline.MnistException;

/**
 * A registry operation that cannot be done as asked (a refused delete, a rollback with nothing to
 * roll back to, an unreadable registry). Unknown versions and aliases are the subclass
 * {@link NotFound}, so an edge (CLI exit code, HTTP 404) can tell them apart by type alone.
 */
public class RegistryException extends MnistException {
    private RegistryException(Kind kind, String message) {
        super(kind, message);
    }

    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The version or alias asked for does not exist. */
    public static final class NotFound extends RegistryException {
        public NotFound(String message) {
            super(Kind.NOT_FOUND, message);
        }
    }
}
