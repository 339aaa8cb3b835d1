# PyTorch basics, a blog post (shared/seeds/004_8c1cfcd709a0f29b.txt): creation,
# NumPy interop, indexing, view/reshape and strides, autograd, detach/no_grad.
# The tutorial's code as written (the scrape ran several cells into one line and
# turned quotes into curly quotes; undone). Replacements, each marked below:
# - notebook cells ending in a bare expression print it with print(repr(...));
# - `from matplotlib import pyplot as plt` is dropped: nothing in the code uses it.
import torch
import numpy as np
# from matplotlib import pyplot as plt  -- unused by the tutorial's code

# set seed
torch.random.manual_seed(42)

# rank-2 (2d) tensor - float is default
torch.zeros(3, 4, dtype=torch.float16)

# rank-3 tensor
torch.zeros(2, 4, 5, dtype=torch.int16)

# rank-4 tensor
torch.rand(2, 3, 4, 5)

# create tensor from lists and np arrays
python_list = [1, 2]

# Create a numpy array from python list
numpy_array = np.array(python_list)

# Create a torch Tensor from python list
tensor_from_list = torch.tensor(python_list)

# Create a torch Tensor from Numpy array (compies memory)
tensor_from_array = torch.tensor(numpy_array)

# Another way to create a torch Tensor from Numpy array (Share same storage)
tensor_from_array_v2 = torch.from_numpy(numpy_array)

# Convert torch tensor to numpy array
array_from_tensor = tensor_from_array.numpy()

print('List: ', python_list)
print('Array: ', numpy_array)
print('Tensor: ', tensor_from_list)
print('Tensor: ', tensor_from_array)
print('Tensor: ', tensor_from_array_v2)
print('Array: ', array_from_tensor)

numpy_array[0] = 10

print('Array: ', numpy_array)
print('Tensor: ', tensor_from_array)
print('Tensor: ', tensor_from_array_v2)

# Indexing
# rank-1
a = torch.rand(5)
print(repr(a[2]))  # notebook cell echo

# select two elements
print(repr(a[[2, 4]]))  # notebook cell echo

# select three elements with a mask
print(repr(a[[True, False, False, True, True]]))  # notebook cell echo

# rank-2
tensor = torch.rand((5, 3))
print(repr(tensor))  # notebook cell echo

#select row
print(repr(tensor[0]))  # notebook cell echo

# select element
print(repr(tensor[0, 2]))  # notebook cell echo

# select rows
rows = torch.tensor([0, 2, 4])
print(repr(rows))  # notebook cell echo

print(repr(tensor[rows]))  # notebook cell echo

# Tensor Shapes
tensor = torch.rand(2, 3, 4)
print(repr(tensor))  # notebook cell echo

print('Pointer to data: ', tensor.data_ptr())
print('Shape: ', tensor.shape)

reshaped = tensor.reshape(24)
print(repr(reshaped))  # notebook cell echo

view = tensor.view(3, 2, 4)
print(repr(view))  # notebook cell echo

# return adresses
print('Reshaped tensor - pointer to data', reshaped.data_ptr())
print('Reshaped tensor shape ', reshaped.shape)
print('Viewed tensor - pointer to data', view.data_ptr())
print('Viewed tensor shape ', view.shape)

# assert if the original and the view tensor have the same memory adress
assert tensor.data_ptr() == view.data_ptr()

# assert is flatted tensor and reshapes are the same
assert np.all(np.equal(tensor.numpy().flat, reshaped.numpy().flat))

# print stride - the jump necessary to go from one element to the next one in the specified dimension dim
print('Original stride: ', tensor.stride())
print('Reshaped stride: ', reshaped.stride())
print('Viewed stride: ', view.stride())

# Autograd
a = torch.rand((3, 5), requires_grad=True)
print(repr(a))  # notebook cell echo

result = a * 5
print(repr(result))  # notebook cell echo

# we use sum to make it scalar to apply backward pass
mean_result = result.sum()
# Calculate Gradient
mean_result.backward()
# gradient of a
print(repr(a.grad))  # notebook cell echo

# Disable autograd
a = torch.rand((3, 5), requires_grad=True)
detached_a = a.detach()
print(repr(a))  # notebook cell echo

print(repr(detached_a))  # notebook cell echo

detached_result = detached_a * 5
result = a * 10

mean_result = result.sum()
mean_result.backward()
print(repr(a.grad))  # notebook cell echo

a = torch.rand((3, 5), requires_grad=True)
with torch.no_grad():
    detached_result = a * 5
result = a * 10
print(repr(detached_result))  # notebook cell echo

mean_result = result.sum()
mean_result.backward()
print(repr(a.grad))  # notebook cell echo
