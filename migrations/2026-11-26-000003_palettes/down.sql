DROP TABLE palettes;
