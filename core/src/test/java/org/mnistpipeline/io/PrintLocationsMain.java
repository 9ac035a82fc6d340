package org.mnistpipeline.io;

/** Prints where {@link Locations#fromEnvironment} puts things, for {@link LocationsTest}'s child JVM. */
public final class PrintLocationsMain {
    private PrintLocationsMain() {}

    public static void main(String[] args) {
        Locations l = Locations.fromEnvironment();
        System.out.println("registry " + l.registry());
        System.out.println("cache " + l.cacheDir());
    }
}
