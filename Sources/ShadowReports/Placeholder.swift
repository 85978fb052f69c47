public enum ShadowReportsPlaceholder {}
