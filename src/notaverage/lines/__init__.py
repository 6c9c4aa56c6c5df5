"""The ACAI lines benchmark (Berthelot et al., ICLR 2019): 32x32 images of a line from the centre
at an angle, and two scores of an interpolation path, Mean Distance and Smoothness."""
