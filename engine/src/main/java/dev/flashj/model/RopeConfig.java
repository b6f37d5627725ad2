package dev.flashj.model;

/** Rotary position embedding settings: base frequency, scaling, pair layout, rotated dims per head. */
public record RopeConfig(float theta, RopeScaling scaling, RopeStyle style, int rotaryDims) {
}
