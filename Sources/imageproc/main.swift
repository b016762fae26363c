import ImageService

print("imageproc")
