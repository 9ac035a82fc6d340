package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.store.ObjectPath;

/** {@link RunFiles} of a local home: locations are the paths the steps wrote. */
enum LocalRunFiles implements RunFiles {
    INSTANCE;

    @Override
    public String publish(Path local, String name) {
        return local.toAbsolutePath().toString();
    }

    @Override
    public Path fetch(String location) {
        if (ObjectPath.isUri(location)) {
            throw new DataException(location + " is in S3, but MNIST_HOME is a local directory; run the step with"
                    + " MNIST_HOME=s3://bucket/prefix to read it");
        }
        return Path.of(location);
    }
}
