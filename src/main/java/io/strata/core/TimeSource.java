package io.strata.core;

import java.time.InstantSource;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The one clock the service reads; tests replace it to move time instead of sleeping. */
public class TimeSource {

    @Produces
    @Singleton
    InstantSource clock() {
        return InstantSource.system();
    }
}
