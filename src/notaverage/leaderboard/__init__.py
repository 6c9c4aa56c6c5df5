"""`notaverage zoo`: many autoencoders trained under one budget and scored with the report's metrics."""
