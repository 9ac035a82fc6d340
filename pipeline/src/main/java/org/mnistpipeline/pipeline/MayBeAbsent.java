package org.mnistpipeline.pipeline;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of a step's input or output that may be null, or missing from the JSON altogether
 * (a request field with a default, an earlier step that did not run). Every other field is
 * required and non-null in the step contracts (the JSON Schemas under {@code contracts/}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER})
public @interface MayBeAbsent {}
